"""test_mdcommands.py - mdcommands.py reads the commands of each form the
handouts write them in, and what they promise to show.
Run: python3 -m unittest tests/test_mdcommands.py
"""
from __future__ import annotations
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mdcommands  # noqa: E402

HANDOUT = """# A handout

```
$ $(make -s path LAB=2) 8080
info: listening on 127.0.0.1:8080
                    $ curl -si -x http://127.0.0.1:8080 \\
                        http://127.0.0.1:8000/a.txt
                    HTTP/1.0 200 OK
                    X-Cache: MISS
```

```sh
make lab LAB=2                # builds it
printf '# not a comment\\n' > /tmp/list   # 403 to CONNECT
# a comment line
gdb --args $(make -s path LAB=2) 8080
(gdb) break forward_request   # typed at gdb's prompt
```

```
GET /a?q=1 HTTP/1.1
Host: h.example:8000
```

```
make unit LAB=2
$(make -s path LAB=2) -h
```

```c
int main(void) { return 0; }
```
"""


class ExtractTest(unittest.TestCase):
    def setUp(self) -> None:
        self.blocks = mdcommands.blocks("labs/02-x/README.md", HANDOUT)

    def test_blocks_of_commands_only(self) -> None:
        self.assertEqual([b.line for b in self.blocks], [4, 13, 26])
        self.assertEqual([b.transcript for b in self.blocks],
                         [True, False, False])

    def test_transcript(self) -> None:
        server, client = self.blocks[0].commands
        self.assertEqual(server.text, "$(make -s path LAB=2) 8080")
        self.assertEqual(client.text, "curl -si -x http://127.0.0.1:8080 "
                         "http://127.0.0.1:8000/a.txt")
        self.assertEqual(client.line, 6)
        self.assertEqual(client.shown, ["HTTP/1.0 200 OK", "X-Cache: MISS"])
        self.assertEqual(mdcommands.promised_statuses(client), [200])
        self.assertEqual(mdcommands.promised_marks(client), ["MISS"])

    def test_shell_block(self) -> None:
        texts = [(c.line, c.text, c.comment)
                 for c in self.blocks[1].commands]
        self.assertEqual(texts, [
            (13, "make lab LAB=2", "builds it"),
            (14, "printf '# not a comment\\n' > /tmp/list", "403 to CONNECT"),
            (16, "gdb --args $(make -s path LAB=2) 8080", "")])
        printf = self.blocks[1].commands[1]
        self.assertEqual(mdcommands.promised_statuses(printf), [403])

    def test_plain_block_of_commands(self) -> None:
        self.assertEqual([c.text for c in self.blocks[2].commands],
                         ["make unit LAB=2", "$(make -s path LAB=2) -h"])

    def test_promises(self) -> None:
        command = mdcommands.Command(
            "x.md", 1, "curl", "a listing: MISS, then HIT; 127.0.0.1:8443, "
            "ports 443 and 8443, a 503")
        self.assertEqual(mdcommands.promised_statuses(command), [503])
        self.assertEqual(mdcommands.promised_marks(command), ["MISS"])
        self.assertEqual(mdcommands.unkept_promises(
            command, "HTTP/1.1 503 Busy\r\nX-Cache: HIT\r\n"),
            ["X-Cache: MISS"])

    def test_make_words(self) -> None:
        self.assertEqual(mdcommands.make_words("make SAN=asan grade LAB=1"),
                         (["grade"], {"SAN": "asan", "LAB": "1"}))
        self.assertIsNone(mdcommands.make_words("make lab LAB=5 && ls"))


if __name__ == "__main__":
    unittest.main()
