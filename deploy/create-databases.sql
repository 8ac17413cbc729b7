-- Run once by the postgres image on its first start (docker-compose.yml).
CREATE DATABASE completionist_auth;
CREATE DATABASE completionist_media;
