from shapes import make_box

print(make_box(2).volume())
