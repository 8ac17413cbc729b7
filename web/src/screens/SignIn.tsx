// Log in and register: one form each, every invalid field shown next to
// its input, throttling shown with its delay.
import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { auth } from "../api";
import { describe, problem, type Problem } from "../errors";
import { Alert, Field } from "../form";
import { session } from "../session";

function useSubmit(action: (form: FormData) => Promise<void>) {
  const [failed, setFailed] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setFailed(undefined);
    try {
      await action(new FormData(event.currentTarget as HTMLFormElement));
    } catch (error) {
      setFailed(problem(error));
    } finally {
      setBusy(false);
    }
  };
  return { failed, busy, onSubmit };
}

const text = (form: FormData, name: string) => String(form.get(name) ?? "");

export function Login() {
  const { route } = useLocation();
  const { failed, busy, onSubmit } = useSubmit(async (form) => {
    const { tokens } = await auth.login({ email: text(form, "email"), password: text(form, "password") });
    session.store(tokens);
    route("/");
  });
  return (
    <main class="narrow">
      <h1>Log in</h1>
      <form onSubmit={onSubmit} noValidate>
        <Field label="Email" name="email" type="email" autocomplete="username" required error={failed?.fields.email} />
        <Field label="Password" name="password" type="password" autocomplete="current-password" required error={failed?.fields.password} />
        <Alert>{failed && Object.keys(failed.fields).length === 0 && describe(failed)}</Alert>
        <button type="submit" disabled={busy}>
          Log in
        </button>
      </form>
      <p>
        New here? <a href="/register">Create an account</a>
      </p>
    </main>
  );
}

export function Register() {
  const { route } = useLocation();
  const { failed, busy, onSubmit } = useSubmit(async (form) => {
    const email = text(form, "email");
    const password = text(form, "password");
    await auth.register({ email, password, displayName: text(form, "display_name") });
    const { tokens } = await auth.login({ email, password });
    session.store(tokens);
    route("/");
  });
  return (
    <main class="narrow">
      <h1>Create an account</h1>
      <form onSubmit={onSubmit} noValidate>
        <Field label="Name" name="display_name" autocomplete="nickname" required error={failed?.fields.display_name} />
        <Field label="Email" name="email" type="email" autocomplete="username" required error={failed?.fields.email} />
        <Field
          label="Password"
          name="password"
          type="password"
          autocomplete="new-password"
          required
          hint="8 to 128 characters, not your email."
          error={failed?.fields.password}
        />
        <Alert>{failed && Object.keys(failed.fields).length === 0 && describe(failed)}</Alert>
        <button type="submit" disabled={busy}>
          Create account
        </button>
      </form>
      <p>
        Have an account? <a href="/login">Log in</a>
      </p>
    </main>
  );
}
