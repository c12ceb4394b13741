// Downloads: the durable mark a version gets before its bytes first go out (what keeps it from being deleted), and counts written in batches.
export { DownloadCounter } from './src/download-counter.js';
export { DownloadMarks } from './src/download-marks.js';
export { type DownloadCountDelta, DownloadsRepository } from './src/downloads.repository.js';
