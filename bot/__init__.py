"""职责通: tells township and village staff of 卧牛河镇 whose job a matter is."""
