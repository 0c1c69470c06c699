def leaf():
    return 0


def level1():
    def level2():
        def level3():
            return leaf()

        return level3

    return level2


level1()()()
