import asyncio


def square(x):
    return x * x


async def numbers():
    for i in range(2):
        yield square(i)


async def main():
    return [n async for n in numbers()]


asyncio.run(main())
