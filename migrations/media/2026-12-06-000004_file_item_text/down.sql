UPDATE media_items i
SET title = e.file_item->>'title', summary = coalesce(e.file_item->>'summary', '')
FROM list_entries e
WHERE e.media_item_id = i.id AND i.provider_check <> 'confirmed' AND e.file_item IS NOT NULL;
ALTER TABLE list_entries DROP COLUMN file_item;
ALTER TABLE media_items DROP COLUMN provider_check;
