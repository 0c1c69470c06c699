def one():
    return 1


def two():
    return 2


def run():
    pipeline = []
    pipeline.append(one)
    pipeline.append(two)
    for step in pipeline:
        step()


run()
