DROP TABLE list_entries;
DROP TABLE media_items;
