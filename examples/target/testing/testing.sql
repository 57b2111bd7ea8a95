CREATE TABLE users (id INTEGER, first_name TEXT, last_name TEXT, age INTEGER);
INSERT INTO users VALUES (1, 'Jamie', 'Fox', 34), (2, 'Ada', 'Byron', 36), (3, 'Alan', 'Turing', 41), (4, 'Grace', 'Hopper', 85);
CREATE TABLE products (id INTEGER, name TEXT, price REAL);
INSERT INTO products VALUES (1, 'hat', 79.0), (2, 'cap', 82.5), (3, 'shirt', 18.0), (4, 'sweater', 25.0);
