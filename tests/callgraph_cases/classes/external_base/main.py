import threading


class Worker(threading.Thread):
    def run(self):
        self.result = 42


w = Worker()
w.start()
w.join()
print(w.result)
