from wrappers import counted


@counted
def work(n):
    return n + 1


jobs = [work]
for job in jobs:
    job(1)
