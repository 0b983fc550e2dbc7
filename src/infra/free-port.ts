// Asks the kernel for an unused TCP port by binding port 0. The port is released before it is
// returned, so another process may take it first: callers that spawn servers retry on a bind
// failure instead of trusting it blindly.
import net from 'node:net';

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`could not obtain a TCP port on ${host}`));
        return;
      }
      server.close((error) => (error ? reject(error) : resolve(address.port)));
    });
  });
}

/** A server start that failed because another process took the port between freePort() and bind. */
export class PortInUseError extends Error {}

/** Starts a server on the fixed port, or on a free one, retrying when the free port was taken meanwhile. */
export async function launchOnPort<T>(fixedPort: number | undefined, launch: (port: number) => Promise<T>, host = '127.0.0.1', attempts = 3): Promise<{ server: T; port: number }> {
  if (fixedPort !== undefined) return { server: await launch(fixedPort), port: fixedPort };
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(host);
    try {
      return { server: await launch(port), port };
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= attempts) throw error;
    }
  }
}
