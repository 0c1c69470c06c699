import asyncio


class Lock:
    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        return False


async def main():
    async with Lock():
        return 1


asyncio.run(main())
