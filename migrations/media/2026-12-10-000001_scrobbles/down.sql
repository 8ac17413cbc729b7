DROP TABLE scrobble_pins;
DROP TABLE scrobble_events;
DROP TABLE scrobble_rates;
DROP TABLE scrobble_tokens;
