def compute():
    return 10


class Config:
    limit = compute()


print(Config.limit)
