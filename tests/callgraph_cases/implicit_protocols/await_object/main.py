import asyncio


class Ready:
    def __init__(self, value):
        self.value = value

    def __await__(self):
        return self.value
        yield


async def fetch():
    return await Ready(3)


async def main():
    return await fetch()


asyncio.run(main())
