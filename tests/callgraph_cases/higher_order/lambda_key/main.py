def weight(item):
    return item["w"]


items = [{"w": 2}, {"w": 1}]
sorted(items, key=lambda it: weight(it))
