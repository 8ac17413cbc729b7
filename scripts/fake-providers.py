#!/usr/bin/env python3
"""Stand-ins for OMDb, Jikan, Open Library, RAWG and TVmaze on one local
port, serving the payloads media-service's tests use (shaped like the real
APIs). For trying the stack offline: `make run FAKE_PROVIDERS=1`, and for
the browser tests.

    scripts/fake-providers.py [PORT]   prints the base URL, then serves

Base URLs: {base}/omdb, {base}/jikan/v4, {base}/openlibrary, {base}/rawg/api,
{base}/tvmaze.

Series, dated relative to today: Futurama (tt0149460, TVmaze 538) has
ended, with a season 0 special, a special inside season 1 and an episode
with no time of day; Severance (tt11280740, TVmaze 44933) is running, with
episodes to come, one with an empty `airtime` and one with a null
`airdate`; any other IMDb id `ttNNN` is a running show of ten weekly
episodes (for the bench). For media servers' webhooks: OMDb places
Severance's episodes tt11650328..tt11650336 (season 1, episodes 1 to 9)
by their own IMDb id, and TVmaze finds both shows by their TheTVDB ids
(Futurama 73871, Severance 371980). TVmaze keeps its rate limit: a call beyond 20 in
the last 10 s answers 429 with `Retry-After`; and every 15th call answers
429 anyway (FAKE_TVMAZE_429_EVERY; 0 for never), as TVmaze may.
`GET /tvmaze-stats` says how it was called: every call's time, and how
many were refused.
"""
import collections
import datetime
import itertools
import json
import os
import sys
import threading
import time
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

SEVERANCE = {"Title": "Severance", "Year": "2022–", "imdbID": "tt11280740", "Type": "series",
             "Plot": "Office workers whose memories are split between work and home.",
             "Poster": "N/A", "totalSeasons": "2", "Response": "True"}

SERIES_SEARCH = {"Search": [
    {"Title": "Futurama", "Year": "1999–2025", "imdbID": "tt0149460", "Type": "series", "Poster": "N/A"},
    {"Title": "Severance", "Year": "2022–", "imdbID": "tt11280740", "Type": "series", "Poster": "N/A"},
], "totalResults": "2", "Response": "True"}

TVMAZE_CALLS = itertools.count(1)
TVMAZE_429_EVERY = int(os.environ.get("FAKE_TVMAZE_429_EVERY", "15"))
TVMAZE_LIMIT, TVMAZE_WINDOW = 20, 10.0
TVMAZE_LOCK = threading.Lock()
TVMAZE_RECENT = collections.deque()
TVMAZE_STATS = {"calls": [], "refused": 0}


def over_the_limit():
    """Whether this call is one beyond 20 in the last 10 s (and records it)."""
    now = time.monotonic()
    with TVMAZE_LOCK:
        TVMAZE_STATS["calls"].append(time.time())
        while TVMAZE_RECENT and TVMAZE_RECENT[0] <= now - TVMAZE_WINDOW:
            TVMAZE_RECENT.popleft()
        TVMAZE_RECENT.append(now)
        over = len(TVMAZE_RECENT) > TVMAZE_LIMIT
        if over:
            TVMAZE_STATS["refused"] += 1
        return over


def episode(id, season, number, kind, days, hour):
    """A TVmaze episode `days` from today at `hour` UTC (None: no time)."""
    day = datetime.date.today() + datetime.timedelta(days=days)
    stamp = datetime.datetime.combine(day, datetime.time(hour if hour is not None else 4),
                                      datetime.timezone.utc)
    return {"id": id, "name": f"Episode {id}", "season": season, "number": number, "type": kind,
            "airdate": day.isoformat(), "airtime": f"{hour:02}:00" if hour is not None else "",
            "airstamp": stamp.isoformat(), "runtime": 25}


def tvmaze_episodes(show):
    if show == 538:
        return [
            episode(100, 0, 1, "significant_special", -900, 20),
            episode(101, 1, 1, "regular", -800, 20),
            episode(102, 1, 2, "regular", -793, 20),
            episode(103, 1, 3, "regular", -786, 20),
            episode(104, 1, None, "insignificant_special", -780, None),
            episode(201, 2, 1, "regular", -500, None),
            episode(202, 2, 2, "regular", -493, 20),
        ]
    if show != 44933:
        return [episode(show * 100 + n, 1, n, "regular", 7 * (n - 5), 21) for n in range(1, 11)]
    tba = episode(305, 1, 5, "regular", 60, None)
    tba["airdate"] = None
    tba["airstamp"] = None
    return [
        episode(301, 1, 1, "regular", -14, 2),
        episode(302, 1, 2, "regular", -7, 2),
        episode(303, 1, 3, "regular", 3, 2),
        episode(304, 1, 4, "regular", 10, None),
        tba,
    ]


SHOWS = {538: "Ended", 44933: "Running"}
IMDB_SHOWS = {"tt0149460": 538, "tt11280740": 44933}
TVDB_SHOWS = {"73871": 538, "371980": 44933}
SHOW_IMDB = {show: imdb for imdb, show in IMDB_SHOWS.items()}
SEVERANCE_EPISODES = {f"tt{11650328 + n}": n + 1 for n in range(9)}


def jikan_episodes(page):
    """Cowboy Bebop's 26 episodes, 13 a page."""
    first = (page - 1) * 13 + 1
    start = datetime.date(1998, 10, 24)
    data = [{"mal_id": n, "title": f"Session {n}",
             "aired": f"{start + datetime.timedelta(weeks=n - 1)}T00:00:00+00:00"}
            for n in range(first, min(first + 13, 27))]
    return {"pagination": {"last_visible_page": 2, "has_next_page": page == 1}, "data": data}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path == "/omdb/":
            if "i" in query:
                if query["i"][0] == SEVERANCE["imdbID"]:
                    return self.json(200, SEVERANCE)
                number = SEVERANCE_EPISODES.get(query["i"][0])
                if number:
                    return self.json(200, {"Title": f"Episode {number}", "Type": "episode",
                                           "seriesID": SEVERANCE["imdbID"], "Season": "1",
                                           "Episode": str(number), "imdbID": query["i"][0],
                                           "Response": "True"})
                name = OMDB_ITEMS.get(query["i"][0])
                if name:
                    return self.send(200, (FIXTURES / name).read_bytes())
                return self.send(200, b'{"Response":"False","Error":"Incorrect IMDb ID."}')
            if query.get("type") == ["series"]:
                return self.json(200, SERIES_SEARCH)
            return self.send(200, (FIXTURES / "omdb_search_matrix.json").read_bytes())
        if url.path == "/tvmaze-stats":
            with TVMAZE_LOCK:
                return self.json(200, TVMAZE_STATS)
        if url.path.startswith("/tvmaze/"):
            return self.tvmaze(url.path.removeprefix("/tvmaze"), query)
        if url.path == "/jikan/v4/anime/1/episodes":
            return self.json(200, jikan_episodes(int(query.get("page", ["1"])[0])))
        name = ROUTES.get(url.path)
        if name:
            return self.send(200, (FIXTURES / name).read_bytes())
        self.send(404, json.dumps({"status": 404, "message": "Resource does not exist"}).encode())

    def tvmaze(self, path, query):
        nth = next(TVMAZE_CALLS)
        if over_the_limit() or (TVMAZE_429_EVERY and nth % TVMAZE_429_EVERY == 0):
            return self.send(429, b'{"name":"Too Many Requests","status":429}', {"Retry-After": "1"})
        if path == "/lookup/shows":
            imdb = query.get("imdb", [""])[0]
            show = IMDB_SHOWS.get(imdb) or TVDB_SHOWS.get(query.get("thetvdb", [""])[0])
            if show is None and imdb[2:].isdigit():
                show = 1_000_000 + int(imdb[2:])
            if show is None:
                return self.send(404, b"null")
            return self.send(301, b"", {"Location": f"/tvmaze/shows/{show}"})
        parts = path.strip("/").split("/")
        if len(parts) >= 2 and parts[0] == "shows" and parts[1].isdigit():
            show = int(parts[1])
            if len(parts) == 2:
                imdb = SHOW_IMDB.get(show) or (f"tt{show - 1_000_000}" if show > 1_000_000 else None)
                return self.json(200, {"id": show, "name": "Show", "status": SHOWS.get(show, "Running"),
                                       "externals": {"imdb": imdb}})
            if parts[2:] == ["episodes"]:
                return self.json(200, tvmaze_episodes(show))
        self.send(404, json.dumps({"name": "Not Found", "status": 404}).encode())

    def json(self, status, value):
        self.send(status, json.dumps(value).encode())

    def send(self, status, body, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
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
