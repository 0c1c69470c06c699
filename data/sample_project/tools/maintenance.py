"""Maintenance jobs: async code and an unsafe deserialisation."""

import asyncio
import pickle


async def warm_cache(inventory, titles, delay=0.01):
    found = 0
    for title in titles:
        await asyncio.sleep(delay)
        if inventory.find(title):
            found += 1
    return found


async def run_all(jobs):
    results = await asyncio.gather(*(job() for job in jobs), return_exceptions=True)
    return [r for r in results if not isinstance(r, Exception)]


def restore_state(blob):
    return pickle.loads(blob)  # untrusted input
