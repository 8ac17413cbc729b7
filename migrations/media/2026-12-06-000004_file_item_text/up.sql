-- What an import file says of a provider's item is the uploader's word
-- until the provider confirms it: the item shows everyone a neutral text
-- (its id) while `pending`, the uploader's entry keeps the file's text
-- (`list_entries.file_item`) and shows it instead; once the provider
-- answers, the item is `confirmed` with the provider's text, or
-- `not_found` and never asked about again.
ALTER TABLE media_items
    ADD COLUMN provider_check text NOT NULL DEFAULT 'confirmed'
        CHECK (provider_check IN ('confirmed', 'pending', 'not_found'));
ALTER TABLE list_entries ADD COLUMN file_item jsonb;

-- Items made from files and not yet filled in: their text moves to the
-- entries imports made of them (another entry shows the neutral text).
UPDATE list_entries e
SET file_item = jsonb_build_object(
        'title', i.title, 'year', i.year, 'image_url', i.image_url,
        'summary', i.summary, 'total_units', i.total_units)
FROM media_items i
WHERE e.media_item_id = i.id AND i.details_due_at IS NOT NULL
  AND EXISTS (SELECT 1 FROM import_rows r WHERE r.list_entry_id = e.id);
UPDATE media_items
SET provider_check = 'pending', title = coalesce(external_id, ''), year = NULL,
    image_url = '', summary = '', total_units = NULL
WHERE details_due_at IS NOT NULL;
