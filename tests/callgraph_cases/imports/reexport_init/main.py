from pkg import engine

engine()
