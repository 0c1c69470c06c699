n = str(3)
padded = n.zfill(3)
