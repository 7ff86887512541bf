// Sổ trực chốt — shrinks a chosen photo in the browser, so a phone on slow mobile data sends a few
// hundred kilobytes instead of several megabytes. The server cleans every photo again
// (checkpoint/rules/photos.py), so whenever anything here fails the original file simply goes up.
(() => {
  "use strict";
  const MAX_SIDE = 1600; // the server's limit too, so it never has to shrink the result again
  const QUALITY = 0.8;
  const turns = new WeakMap(); // input → latest change, so a slow earlier photo cannot overwrite a newer pick

  // Phones store portrait photos sideways plus an EXIF flag; both decoders honour the flag.
  async function decode(file) {
    if (typeof createImageBitmap === "function") {
      try {
        return await createImageBitmap(file, { imageOrientation: "from-image" });
      } catch (error) {
        // Older Safari rejects the options argument; the <img> path below works there.
      }
    }
    const url = URL.createObjectURL(file);
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      return img;
    } finally {
      URL.revokeObjectURL(url); // a decoded image keeps its pixels without the URL
    }
  }

  async function shrinkPhoto(file) {
    const source = await decode(file);
    try {
      const width = source.naturalWidth || source.width;
      const height = source.naturalHeight || source.height;
      const scale = Math.min(1, MAX_SIDE / Math.max(width, height)); // never enlarge
      const canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(width * scale));
      canvas.height = Math.max(1, Math.round(height * scale));
      const context = canvas.getContext("2d");
      context.imageSmoothingQuality = "high"; // the default is blocky when shrinking by 3× or more
      context.fillStyle = "#fff"; // JPEG has no transparency; white is what the server uses as well
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(source, 0, 0, canvas.width, canvas.height);
      return await new Promise((resolve, reject) => {
        canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("toBlob gave nothing"))),
          "image/jpeg", QUALITY);
      });
    } finally {
      if (source.close) source.close(); // an ImageBitmap holds full-size pixels until closed
    }
  }

  async function shrinkInput(input) {
    const turn = (turns.get(input) || 0) + 1;
    turns.set(input, turn);
    const files = Array.from(input.files || []);
    if (!files.length) return;
    input.dataset.shrink = "busy"; // "done" once the input holds what will be sent
    try {
      const transfer = new DataTransfer(); // throws on browsers that cannot replace an input's files
      for (const file of files) {
        const blob = await shrinkPhoto(file);
        // An already small photo can grow when re-encoded; then the original is the better upload.
        transfer.items.add(blob.size < file.size
          ? new File([blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" })
          : file);
      }
      if (turns.get(input) === turn) input.files = transfer.files; // assigning fires no change event
    } catch (error) {
      // Not something the browser can draw, or an old browser: the original file is sent as it is.
    }
    if (turns.get(input) === turn) input.dataset.shrink = "done";
  }

  // Delegated, so inputs that htmx swaps in later are covered too.
  document.addEventListener("change", (event) => {
    if (event.target.matches && event.target.matches('input[type="file"][data-shrink]')) {
      shrinkInput(event.target);
    }
  });

  window.shrinkPhoto = shrinkPhoto; // for the offline outbox, which stores photos before sending
})();
