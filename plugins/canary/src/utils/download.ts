/** Hands a file fetched by the app to the browser as a download. */
export function saveFile(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // The browser reads the blob after the click returns; free it once it has.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
