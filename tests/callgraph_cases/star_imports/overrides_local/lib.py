def run():
    return "lib"
