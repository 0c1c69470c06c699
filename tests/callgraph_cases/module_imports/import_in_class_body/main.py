class Grid:
    import consts

    cells = consts.SIZE * consts.SIZE


print(Grid.cells)
