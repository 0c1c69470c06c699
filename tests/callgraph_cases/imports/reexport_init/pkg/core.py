def engine():
    return "vroom"
