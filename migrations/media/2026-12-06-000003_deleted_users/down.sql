DROP TABLE deleted_users_handled;
