def words(text):
    ws = text.split()
    ws.append("end")
    return ws


words("a b")
