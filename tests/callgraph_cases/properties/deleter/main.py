class Session:
    def __init__(self):
        self._user = "ann"

    @property
    def user(self):
        return self._user

    @user.deleter
    def user(self):
        self._user = None


s = Session()
del s.user
