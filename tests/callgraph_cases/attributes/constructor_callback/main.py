def clicked():
    return "clicked"


class Button:
    def __init__(self, on_click):
        self.on_click = on_click

    def press(self):
        return self.on_click()


Button(on_click=clicked).press()
