def on_done():
    return "done"


class Task:
    def finish(self):
        return self.callback()


t = Task()
t.callback = on_done
t.finish()
t.callback()
