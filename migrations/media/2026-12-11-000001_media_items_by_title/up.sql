-- Scrobbles name a show or a movie by its title: a person's items of a
-- title are found through the catalog's items of that title (in any case),
-- not by lowering every title of the catalog. A hash index: titles have no
-- length limit that a btree entry would need.
CREATE INDEX media_items_lower_title_idx ON media_items USING hash (lower(title));
