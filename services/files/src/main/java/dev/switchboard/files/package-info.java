/**
 * The file streaming service: Node's {@code fs.createReadStream(file).pipe(res)} grown into a file
 * server with zero-copy downloads, byte ranges, conditional requests, atomic uploads, directory
 * listings, safe path resolution, per-client limits and a {@code files.*} presence on the event bus.
 */
package dev.switchboard.files;
