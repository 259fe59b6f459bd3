/** The last `limit` bytes (about) of a run's output, for describing its failure (an ansible stage's failed task). */
export function outputTail(limit = 256 * 1024) {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    add(chunk: Buffer) {
      chunks.push(chunk);
      size += chunk.length;
      while (size - chunks[0].length > limit) size -= (chunks.shift() as Buffer).length;
    },
    text: () => Buffer.concat(chunks).toString("utf8"),
  };
}
