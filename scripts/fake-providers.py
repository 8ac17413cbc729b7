#!/usr/bin/env python3
"""Stand-ins for OMDb, Jikan, Open Library and RAWG on one local port, serving
the payloads media-service's tests use (shaped like the real APIs). For
trying the stack offline: `make run FAKE_PROVIDERS=1`, and for the gateway's
end-to-end test.

    scripts/fake-providers.py [PORT]   prints the base URL, then serves

Base URLs: {base}/omdb, {base}/jikan/v4, {base}/openlibrary, {base}/rawg/api.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

FIXTURES = Path(__file__).resolve().parent.parent / "media-service/tests/api/fixtures"

ROUTES = {
    "/jikan/v4/anime": "jikan_anime_search.json",
    "/jikan/v4/anime/1": "jikan_anime_1.json",
    "/jikan/v4/manga": "jikan_manga_search.json",
    "/openlibrary/search.json": "openlibrary_search.json",
    "/openlibrary/works/OL27448W.json": "openlibrary_work_OL27448W.json",
    "/openlibrary/works/OL45804W.json": "openlibrary_work_OL45804W.json",
    "/rawg/api/games": "rawg_search.json",
    "/rawg/api/games/3328": "rawg_game_3328.json",
}

OMDB_ITEMS = {
    "tt0133093": "omdb_movie_tt0133093.json",
    "tt0149460": "omdb_series_tt0149460.json",
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path == "/omdb/":
            if "i" in query:
                name = OMDB_ITEMS.get(query["i"][0])
                if name:
                    return self.send(200, (FIXTURES / name).read_bytes())
                return self.send(200, b'{"Response":"False","Error":"Incorrect IMDb ID."}')
            return self.send(200, (FIXTURES / "omdb_search_matrix.json").read_bytes())
        name = ROUTES.get(url.path)
        if name:
            return self.send(200, (FIXTURES / name).read_bytes())
        self.send(404, json.dumps({"status": 404, "message": "Resource does not exist"}).encode())

    def send(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
