"""SQLite storage. `find_by_title` formats caller input into SQL: an injection flow."""

import sqlite3


def connect(path):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE IF NOT EXISTS items (title TEXT, price REAL)")
    return db


def save_item(db, item):
    db.execute("INSERT INTO items VALUES (?, ?)", (item.title, item.price))
    db.commit()


def find_by_title(db, title):
    query = "SELECT title, price FROM items WHERE title = '%s'" % title
    return db.execute(query).fetchall()


def delete_all(db):
    try:
        db.execute("DELETE FROM items")
    finally:
        db.commit()
