"""`pip install client/python` in a fresh virtualenv, offline: the
package installs from its pyproject.toml with the setuptools and
msgpack already on the machine (Debian's), and the installed copy, not
the source tree, talks to a real hycod."""
import os
import shutil
import subprocess
import tempfile
import unittest

import fixtures


class TestInstall(unittest.TestCase):
    def test_pip_install_offline(self):
        py = "/usr/bin/python3"
        if subprocess.run([py, "-c", "import venv, ensurepip, setuptools"],
                          capture_output=True).returncode != 0:
            fixtures.skip(self, "no venv/ensurepip/setuptools for %s "
                          "(python3-venv, python3-setuptools)" % py)
        d = tempfile.mkdtemp(prefix="hyco-py-venv-")
        self.addCleanup(shutil.rmtree, d, True)
        # pip builds in the source folder: build from a copy.
        src = os.path.join(d, "src")
        shutil.copytree(fixtures.PYDIR, src)
        venv = os.path.join(d, "venv")
        subprocess.run([py, "-m", "venv", "--system-site-packages", venv],
                       check=True, timeout=120)
        vpy = os.path.join(venv, "bin", "python")
        r = subprocess.run([vpy, "-m", "pip", "install", "--no-index",
                            "--no-build-isolation", "--quiet", src],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        h = fixtures.Hycod()
        self.addCleanup(h.close)
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "HYCO_SOCKET")}
        r = subprocess.run(
            [vpy, "-c", "import hyco, sys; c = hyco.Client(socket=sys.argv[1]);"
             " print(hyco.__file__); print(hyco.__version__);"
             " print(c.ping()['pid'])", h.sock],
            cwd=d, env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        path, version, pid = r.stdout.split()
        self.assertTrue(path.startswith(venv), path)
        self.assertEqual(version, "0.1.0")
        self.assertEqual(int(pid), h.proc.pid)
        r = subprocess.run([os.path.join(venv, "bin", "hyco-inspect"),
                            "--config", h.conf], env=env, cwd=d,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("CACHE USAGE SUMMARY", r.stdout)


if __name__ == "__main__":
    unittest.main()
