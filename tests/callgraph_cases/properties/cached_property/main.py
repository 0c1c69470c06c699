import functools


class Dataset:
    @functools.cached_property
    def rows(self):
        return [1, 2, 3]


def total(ds):
    return ds.rows + ds.rows


total(Dataset())
