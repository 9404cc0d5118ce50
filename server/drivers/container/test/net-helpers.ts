// Small network helpers shared by the container tests: a raw HTTP/1.0 GET, a page fetched with
// retries while the web server inside a container starts, and the busybox command that serves
// such a page. (A free host port: server/test/support.ts.)
import net from "node:net";

/** `GET /` over HTTP/1.0: the whole response, headers included. */
export function httpGet(port: number, host = "127.0.0.1"): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host }, () => s.write("GET / HTTP/1.0\r\n\r\n"));
    let body = "";
    s.setTimeout(5000, () => s.destroy(new Error("http timeout")));
    s.on("data", (d) => (body += d.toString()));
    s.on("end", () => resolve(body));
    s.on("error", reject);
  });
}

/** The body of `GET /` at host:port, retried (5 s at most) while the server starts. */
export async function page(port: number, host = "127.0.0.1"): Promise<string> {
  for (let i = 0; ; i++) {
    try {
      const res = await httpGet(port, host);
      if (!res) throw new Error("empty response");
      return res.split("\r\n\r\n")[1]?.trim() ?? "";
    } catch (e) {
      if (i >= 50) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A container command serving a page that says `word` on port 8080 (busybox httpd). */
export function webCommand(word: string): string[] {
  return ["sh", "-c", `mkdir -p /www && echo ${word} > /www/index.html && exec httpd -f -p 8080 -h /www`];
}
