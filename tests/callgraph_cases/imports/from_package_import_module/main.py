from pkg import mod

mod.f()
