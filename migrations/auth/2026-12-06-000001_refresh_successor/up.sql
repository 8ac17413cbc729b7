-- A superseded refresh token keeps its successor, sealed with a key only
-- the superseded token itself gives (see token::seal_successor): presented again
-- within the reuse interval (two tabs refreshing at once), it is answered
-- with the same successor instead of ending the session. The server alone
-- cannot open it: it keeps hashes of tokens, never tokens.
ALTER TABLE refresh_tokens ADD COLUMN successor_sealed bytea;
