// Admins only: every account, a page at a time, with its role and whether
// it may sign in. Changing either takes effect at once (auth-service ends a
// disabled account's sessions).
import { useEffect, useState } from "preact/hooks";
import { auth } from "../api";
import { describe, problem } from "../errors";
import { Alert } from "../form";
import { Role, type User } from "../gen/completionist/auth/v1/auth_pb";

export function Users() {
  const [users, setUsers] = useState<User[]>([]);
  const [next, setNext] = useState<string | undefined>("");
  const [error, setError] = useState("");

  const more = async () => {
    if (next === undefined) return;
    try {
      const page = await auth.listUsers({ pageSize: 50, pageToken: next });
      setUsers((shown) => [...shown, ...page.users]);
      setNext(page.nextPageToken || undefined);
    } catch (e) {
      setError(describe(problem(e)));
    }
  };
  useEffect(() => void more(), []);

  const change = async (user: User, paths: string[]) => {
    setError("");
    try {
      const { user: changed } = await auth.updateUser({ user, updateMask: { paths } });
      if (changed) setUsers((shown) => shown.map((u) => (u.id === changed.id ? changed : u)));
    } catch (e) {
      setError(describe(problem(e)));
    }
  };

  return (
    <main>
      <h1>Users</h1>
      <Alert>{error}</Alert>
      <div class="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Can sign in</th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr>
                <td>{user.displayName}</td>
                <td class="email">{user.email}</td>
                <td>
                  <select
                    aria-label={`Role of ${user.email}`}
                    value={user.role}
                    onChange={(e) => void change({ ...user, role: Number(e.currentTarget.value) }, ["role"])}
                  >
                    <option value={Role.USER}>User</option>
                    <option value={Role.ADMIN}>Admin</option>
                  </select>
                </td>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`${user.email} can sign in`}
                    checked={!user.disabled}
                    onChange={(e) => {
                      const box = e.currentTarget;
                      if (!box.checked && !confirm(`Stop ${user.email} from signing in? Their sessions end at once.`)) {
                        box.checked = true;
                        return;
                      }
                      void change({ ...user, disabled: !box.checked }, ["disabled"]);
                    }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {next !== undefined && (
        <button type="button" onClick={() => void more()}>
          More users
        </button>
      )}
    </main>
  );
}
