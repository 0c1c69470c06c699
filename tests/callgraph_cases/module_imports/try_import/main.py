try:
    import fast
except ImportError:
    fast = None

fast.speed()
