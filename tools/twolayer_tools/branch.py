"""``fetch-results``, ``push-results``: the results branch CI keeps, one folder per machine.

    twolayer-bench fetch-results DIR                 # DIR: a checkout of the branch (empty if none yet)
    twolayer-bench push-results DIR --machine NAME   # merge results/NAME/ into DIR, commit, push

The branch (``asv-results`` unless ``--branch``) holds asv's results layout: <machine>/machine.json,
the results files and facts/. Each benchmark job touches only its own machine's folder, so the
pushes of parallel jobs never conflict; a job whose push is rejected because another one pushed
first fetches the branch again, merges its folder onto the new tip and pushes again, with
backoff. Never a forced push, so no job overwrites another's folder. Git authenticates with
$GITHUB_TOKEN when it is set: an HTTP header passed through git's environment, never written into
a URL, a file or a command line.
"""
import base64
import os
import random
import subprocess
import time
from pathlib import Path

from . import options
from .errors import BadInput, first_line
from .merge import merge
from .results import check_machine_name, load_config

RESULTS_BRANCH = "asv-results"
"""The branch that keeps every CI machine's results between runs."""
COMMITTER = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")
"""Who commits to the results branch unless GIT_AUTHOR_NAME/GIT_COMMITTER_NAME say otherwise."""


def git_env(environ=None):
    """The environment for git: $GITHUB_TOKEN, when set, as the Authorization header for the
    GitHub server ($GITHUB_SERVER_URL), through GIT_CONFIG_* variables (git 2.31 or later)."""
    env = dict(os.environ if environ is None else environ)
    token = env.get("GITHUB_TOKEN")
    if token:
        n = int(env.get("GIT_CONFIG_COUNT") or 0)
        server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env[f"GIT_CONFIG_KEY_{n}"] = f"http.{server}/.extraheader"
        env[f"GIT_CONFIG_VALUE_{n}"] = f"AUTHORIZATION: basic {basic}"
        env["GIT_CONFIG_COUNT"] = str(n + 1)
    return env


def git(repo, *args, check=True):
    """Run git in `repo`; the CompletedProcess, or BadInput with git's last line of error."""
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=git_env())
    if check and proc.returncode:
        why = (proc.stderr.strip().splitlines() or proc.stdout.strip().splitlines() or ["no output"])[-1]
        verb = next((a for a in args if not a.startswith("-") and "=" not in a), "")
        raise BadInput(f"git {verb} failed in {repo}: {why}")
    return proc


def remote_url(project, remote):
    """`remote` as git can fetch it: a URL or path as given, else the URL of that remote of the
    project's checkout (e.g. origin)."""
    if "/" in remote or ":" in remote:
        return remote
    proc = git(project, "remote", "get-url", remote, check=False)
    if proc.returncode:
        raise BadInput(f"no remote {remote!r} in {project}; give a remote's name or URL with --remote")
    return proc.stdout.strip()


def prepare(checkout):
    """Make `checkout` a git repository of its own (empty or already one of ours)."""
    checkout = Path(checkout)
    if checkout.exists() and not checkout.is_dir():
        raise BadInput(f"{checkout} is not a folder")
    if not (checkout / ".git").is_dir():
        if checkout.is_dir() and any(checkout.iterdir()):
            raise BadInput(f"{checkout} is neither empty nor a checkout of the results branch; "
                           "give an empty or new folder")
        checkout.mkdir(parents=True, exist_ok=True)
        git(checkout, "init", "--quiet")
    return checkout


def fetch(checkout, url, branch):
    """Check out the tip of `branch` at `url` in `checkout`, discarding anything else there; an
    empty checkout on a new branch when `url` has none yet. Returns the tip, or None."""
    heads = git(checkout, "ls-remote", "--heads", url, f"refs/heads/{branch}").stdout.split()
    if heads:
        git(checkout, "fetch", "--quiet", "--no-tags", url, f"+refs/heads/{branch}:refs/remotes/results/{branch}")
        tip = git(checkout, "rev-parse", f"refs/remotes/results/{branch}").stdout.strip()
        git(checkout, "checkout", "--quiet", "--force", "-B", branch, tip)
    else:
        tip = None
        git(checkout, "symbolic-ref", "HEAD", f"refs/heads/{branch}")
        git(checkout, "update-ref", "-d", f"refs/heads/{branch}")
        git(checkout, "read-tree", "--empty")
    git(checkout, "clean", "--quiet", "-ffdx")
    return tip


def commit(checkout, machine, message):
    """Commit the machine folder's changes; False when there were none."""
    git(checkout, "add", "--all", "--", machine)
    if git(checkout, "diff", "--cached", "--quiet", check=False).returncode == 0:
        return False
    name, email = COMMITTER
    git(checkout, "-c", f"user.name={name}", "-c", f"user.email={email}", "-c", "commit.gpgsign=false",
        "commit", "--quiet", "--no-verify", "-m", message)
    return True


def push_results(checkout, results_dir, machine, url, branch, attempts=5, backoff=5.0, source=""):
    """Merge `machine`'s folder of `results_dir` onto the tip of `branch` and push it, again from
    the new tip when another job pushed first. Returns (pushed, attempts used)."""
    for attempt in range(1, attempts + 1):
        fetch(checkout, url, branch)
        report = merge([results_dir], checkout, [machine])
        added, replaced, _ = report[machine]
        message = f"{machine}: {added} files added, {replaced} replaced" + (f" ({source})" if source else "")
        if not commit(checkout, machine, message):
            return False, attempt
        proc = git(checkout, "push", "--quiet", url, f"HEAD:refs/heads/{branch}", check=False)
        if proc.returncode == 0:
            return True, attempt
        why = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        if attempt == attempts:
            raise BadInput(f"push to {branch!r} rejected {attempts} times, the last: {why}")
        wait = backoff * 2 ** (attempt - 1) * (1 + random.random())
        print(f"push-results: push {attempt} rejected ({why}); fetching again in {wait:.0f} s", flush=True)
        time.sleep(wait)
    raise AssertionError("unreachable")


def _common(p):
    p.add_argument("checkout", metavar="DIR",
                   help="the results branch's checkout: a new or empty folder, or one this command made")
    p.add_argument("--branch", default=RESULTS_BRANCH, help=f"the results branch (default {RESULTS_BRANCH})")
    p.add_argument("--remote", default="origin",
                   help="a remote of this checkout, or a URL or path (default origin)")
    options.config(p)


def configure_fetch(p):
    _common(p)


def run_fetch(args):
    conf = load_config(args.config)
    checkout = prepare(args.checkout)
    url = remote_url(Path(conf.path).parent, args.remote)
    tip = fetch(checkout, url, args.branch)
    machines = sorted(p.parent.name for p in checkout.glob("*/machine.json"))
    print(f"{args.branch} at {tip[:8]} in {checkout}: machines {', '.join(machines) or '(none)'}" if tip
          else f"no branch {args.branch!r} at {url} yet: {checkout} is empty (the first push creates it)")
    return 0


def configure_push(p):
    _common(p)
    p.add_argument("-m", "--machine", required=True, metavar="NAME",
                   help="the machine whose folder of results/ goes to the branch (only that folder changes)")
    p.add_argument("--results", metavar="DIR",
                   help="the results folder holding that machine's folder (default: results_dir of the config)")
    p.add_argument("--attempts", type=int, default=5, help="pushes to try before giving up (default 5)")
    p.add_argument("--backoff", type=float, default=5.0,
                   help="seconds before the second push, doubled for each later one, plus jitter (default 5)")


def run_push(args):
    conf = load_config(args.config)
    check_machine_name(args.machine)
    if args.attempts < 1 or args.backoff < 0:
        raise BadInput("--attempts must be at least 1 and --backoff not negative")
    project = Path(conf.path).parent
    checkout = prepare(args.checkout)
    url = remote_url(project, args.remote)
    head = git(project, "rev-parse", "--short", "HEAD", check=False).stdout.strip()
    try:
        pushed, used = push_results(checkout, args.results or conf.results_dir, args.machine, url, args.branch,
                                    args.attempts, args.backoff, f"measured at {head}" if head else "")
    except OSError as exc:
        raise BadInput(f"cannot write {checkout}: {first_line(exc)}") from None
    print(f"{args.machine}: pushed to {args.branch} (push {used})" if pushed
          else f"{args.machine}: {args.branch} already holds these results; nothing to push")
    return 0


COMMANDS = [
    ("fetch-results", "check out the results branch CI keeps (one folder per machine) into DIR",
     configure_fetch, run_fetch),
    ("push-results", "merge one machine's results/ folder into the results branch and push it, "
                     "again from the new tip when another job pushed first", configure_push, run_push),
]
