//! Where sealed evidence is kept, through `object_store`: a directory under the data directory, or
//! an S3-compatible bucket (so several instances on one PostgreSQL share the files). Files go in
//! and out as streams of age ciphertext: memory holds one chunk at a time, whatever the size.
use super::EvidenceError;
use age::x25519;
use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{MultipartUpload, ObjectStore, ObjectStoreExt};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Multipart chunks sent to the store (S3 parts must be at least 5 MiB, except the last).
const PART_BYTES: usize = 5 * 1024 * 1024;
/// Parts on their way to the store at once: bounds memory to a few parts whatever the file size.
const MAX_IN_FLIGHT: usize = 2;

#[derive(Clone)]
pub struct Vault {
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    /// For messages: `evidence directory` or `s3://bucket/prefix`.
    pub location: String,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vault({})", self.location)
    }
}

impl Vault {
    /// Opens the configured store: empty means the `evidence` directory in the data directory;
    /// `s3://bucket/prefix` an S3 bucket, with credentials, region and endpoint from the
    /// environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT`,
    /// `AWS_ALLOW_HTTP`).
    pub fn open(configured: &str, data_dir: &std::path::Path) -> Result<Self, EvidenceError> {
        let configured = configured.trim();
        if configured.is_empty() {
            let dir = data_dir.join("evidence");
            std::fs::create_dir_all(&dir)
                .map_err(|e| EvidenceError::Store(format!("{}: {e}", dir.display())))?;
            let store = object_store::local::LocalFileSystem::new_with_prefix(&dir)
                .map_err(|e| EvidenceError::Store(e.to_string()))?;
            return Ok(Self {
                store: Arc::new(store),
                prefix: ObjectPath::from("cases"),
                location: dir.display().to_string(),
            });
        }
        let Some(rest) = configured.strip_prefix("s3://") else {
            return Err(EvidenceError::Store(format!(
                "evidence.store `{configured}`: use s3://bucket/prefix or leave it empty"
            )));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(EvidenceError::Store("evidence.store: the bucket name is missing".into()));
        }
        let store = object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| EvidenceError::Store(e.to_string()))?;
        let prefix = prefix.trim_matches('/');
        let prefix = if prefix.is_empty() {
            ObjectPath::from("cases")
        } else {
            ObjectPath::from(format!("{prefix}/cases"))
        };
        Ok(Self { store: Arc::new(store), prefix, location: configured.to_owned() })
    }

    fn path(&self, key: &str) -> ObjectPath {
        self.prefix.clone().join(key)
    }

    /// Starts a sealed upload to the recipients under a new random key.
    pub async fn begin(&self, recipients: &[x25519::Recipient]) -> Result<Upload, EvidenceError> {
        let key = format!("{}.age", uuid::Uuid::new_v4().simple());
        let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|_| EvidenceError::Crypto)?;
        let buffer = Shared::default();
        let writer = encryptor.wrap_output(buffer.clone()).map_err(|_| EvidenceError::Crypto)?;
        let upload = self.store.put_multipart(&self.path(&key)).await.map_err(store_error)?;
        let parts = Parts { upload, pending: Vec::new(), in_flight: tokio::task::JoinSet::new() };
        Ok(Upload { key, writer: Some(writer), buffer, parts: Some(parts) })
    }

    /// The plaintext of a sealed file as a stream, opened with `identity`.
    pub async fn open_stream(
        &self,
        key: &str,
        identity: &x25519::Identity,
    ) -> Result<impl Stream<Item = std::io::Result<Bytes>> + Send + use<>, EvidenceError> {
        use tokio_util::compat::{FuturesAsyncReadCompatExt, TokioAsyncReadCompatExt};
        let meta = self.store.head(&self.path(key)).await.map_err(store_error)?;
        let reader = object_store::buffered::BufReader::with_capacity(self.store.clone(), &meta, 256 * 1024);
        let decryptor =
            age::Decryptor::new_async_buffered(reader.compat()).await.map_err(|_| EvidenceError::Crypto)?;
        let plain = decryptor
            .decrypt_async(std::iter::once(identity as &dyn age::Identity))
            .map_err(|_| EvidenceError::Crypto)?;
        Ok(tokio_util::io::ReaderStream::with_capacity(plain.compat(), 64 * 1024))
    }

    /// Re-seals a stored file to new recipients under a new key (the old one stays until deleted).
    pub async fn reseal(
        &self,
        key: &str,
        identity: &x25519::Identity,
        recipients: &[x25519::Recipient],
    ) -> Result<String, EvidenceError> {
        let mut plain = Box::pin(self.open_stream(key, identity).await?);
        let mut upload = self.begin(recipients).await?;
        while let Some(chunk) = plain.next().await {
            match chunk {
                Ok(bytes) => upload.write(&bytes).await?,
                Err(_) => {
                    upload.abort().await;
                    return Err(EvidenceError::Crypto);
                }
            }
        }
        upload.finish().await
    }

    pub async fn delete(&self, key: &str) -> Result<(), EvidenceError> {
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_error(e)),
        }
    }

    /// Every stored key with the day it was last written (for removing files no row refers to).
    pub async fn keys(&self) -> Result<Vec<(String, time::Date)>, EvidenceError> {
        let listed: Vec<object_store::ObjectMeta> =
            self.store.list(Some(&self.prefix)).try_collect().await.map_err(store_error)?;
        Ok(listed
            .into_iter()
            .filter_map(|m| {
                let name = m.location.filename()?.to_owned();
                let day = time::OffsetDateTime::from_unix_timestamp(m.last_modified.timestamp()).ok()?.date();
                Some((name, day))
            })
            .collect())
    }

    /// The raw sealed bytes of a stored file (tests and exports: a standard age file).
    pub async fn sealed_bytes(&self, key: &str) -> Result<Bytes, EvidenceError> {
        let got = self.store.get(&self.path(key)).await.map_err(store_error)?;
        got.bytes().await.map_err(store_error)
    }
}

fn store_error(e: object_store::Error) -> EvidenceError {
    EvidenceError::Store(e.to_string())
}

/// The ciphertext the age writer has produced and the upload has not taken yet.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn take(&self) -> Vec<u8> {
        self.0.lock().map(|mut b| std::mem::take(&mut *b)).unwrap_or_default()
    }
}

/// A file being sealed into the store: plaintext in, age ciphertext out to a multipart upload.
/// Finish it, or abort it so that nothing is left behind. A write or finish that fails has
/// already aborted the upload and waited for its parts to be removed, so the caller's error
/// answer is only sent once nothing of the file is left.
pub struct Upload {
    pub key: String,
    writer: Option<age::stream::StreamWriter<Shared>>,
    buffer: Shared,
    parts: Option<Parts>,
}

/// The multipart upload itself: sealed bytes not sent yet and the parts on their way.
struct Parts {
    upload: Box<dyn MultipartUpload>,
    pending: Vec<u8>,
    in_flight: tokio::task::JoinSet<object_store::Result<()>>,
}

impl Parts {
    /// Sends every full part, keeping at most `MAX_IN_FLIGHT` on their way.
    async fn send_full(&mut self) -> object_store::Result<()> {
        while self.pending.len() >= PART_BYTES {
            let rest = self.pending.split_off(PART_BYTES);
            let part = std::mem::replace(&mut self.pending, rest);
            self.send(part).await?;
        }
        Ok(())
    }

    async fn send(&mut self, part: Vec<u8>) -> object_store::Result<()> {
        self.in_flight.spawn(self.upload.put_part(part.into()));
        while self.in_flight.len() > MAX_IN_FLIGHT {
            self.settle_one().await?;
        }
        Ok(())
    }

    async fn settle_one(&mut self) -> object_store::Result<()> {
        match self.in_flight.join_next().await {
            Some(Ok(done)) => done,
            Some(Err(e)) => Err(object_store::Error::Generic { store: "evidence", source: Box::new(e) }),
            None => Ok(()),
        }
    }

    /// Sends the rest and completes the upload; on an error the caller aborts it.
    async fn complete(&mut self) -> object_store::Result<()> {
        // The last part may be short (age output is never empty, so there is always one).
        if !self.pending.is_empty() {
            let last = std::mem::take(&mut self.pending);
            self.send(last).await?;
        }
        while !self.in_flight.is_empty() {
            self.settle_one().await?;
        }
        self.upload.complete().await.map(|_| ())
    }

    /// Stops the parts still on their way, then removes what was stored.
    async fn abort(mut self) {
        self.in_flight.shutdown().await;
        if let Err(e) = self.upload.abort().await {
            tracing::warn!(error = %e, "could not abort an evidence upload");
        }
    }
}

impl Upload {
    pub async fn write(&mut self, plain: &[u8]) -> Result<(), EvidenceError> {
        let Some(writer) = self.writer.as_mut() else {
            return Err(EvidenceError::Crypto);
        };
        if writer.write_all(plain).is_err() {
            self.abort_parts().await;
            return Err(EvidenceError::Crypto);
        }
        let Some(parts) = self.parts.as_mut() else {
            return Err(EvidenceError::Crypto);
        };
        parts.pending.extend_from_slice(&self.buffer.take());
        if let Err(e) = parts.send_full().await {
            self.abort_parts().await;
            return Err(store_error(e));
        }
        Ok(())
    }

    /// Completes the age file and the upload; the key of the stored file.
    pub async fn finish(mut self) -> Result<String, EvidenceError> {
        let writer = self.writer.take();
        if writer.is_none_or(|w| w.finish().is_err()) {
            self.abort_parts().await;
            return Err(EvidenceError::Crypto);
        }
        let Some(mut parts) = self.parts.take() else {
            return Err(EvidenceError::Crypto);
        };
        parts.pending.extend_from_slice(&self.buffer.take());
        if let Err(e) = parts.complete().await {
            parts.abort().await;
            return Err(store_error(e));
        }
        Ok(std::mem::take(&mut self.key))
    }

    /// Gives up: nothing of the file stays in the store.
    pub async fn abort(mut self) {
        self.writer.take();
        self.abort_parts().await;
    }

    async fn abort_parts(&mut self) {
        if let Some(parts) = self.parts.take() {
            parts.abort().await;
        }
    }
}

impl Drop for Upload {
    /// An upload dropped unfinished (its request was cancelled) is aborted in the background;
    /// should that fail too, the orphan sweep removes the file.
    fn drop(&mut self) {
        if let Some(parts) = self.parts.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(parts.abort());
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use futures::stream::BoxStream;
    use object_store::memory::InMemory;
    use object_store::{
        CopyOptions, GetOptions, GetResult, ListResult, ObjectMeta, PutMultipartOptions, PutOptions,
        PutPayload, PutResult, UploadPart,
    };
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// An in-memory store whose multipart uploads accept `good_parts` parts and fail the rest,
    /// and whose abort takes a while, as a disk or a bucket does.
    #[derive(Debug)]
    struct Flaky {
        inner: InMemory,
        good_parts: usize,
        aborted: Arc<AtomicBool>,
    }

    impl std::fmt::Display for Flaky {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Flaky")
        }
    }

    #[derive(Debug)]
    struct FlakyUpload {
        inner: Box<dyn MultipartUpload>,
        good_parts: usize,
        sent: AtomicUsize,
        aborted: Arc<AtomicBool>,
    }

    #[async_trait::async_trait]
    impl MultipartUpload for FlakyUpload {
        fn put_part(&mut self, data: PutPayload) -> UploadPart {
            if self.sent.fetch_add(1, Ordering::SeqCst) < self.good_parts {
                self.inner.put_part(data)
            } else {
                Box::pin(async {
                    Err(object_store::Error::Generic { store: "Flaky", source: "no space left".into() })
                })
            }
        }

        async fn complete(&mut self) -> object_store::Result<PutResult> {
            self.inner.complete().await
        }

        async fn abort(&mut self) -> object_store::Result<()> {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            self.aborted.store(true, Ordering::SeqCst);
            self.inner.abort().await
        }
    }

    #[async_trait::async_trait]
    impl ObjectStore for Flaky {
        async fn put_opts(
            &self,
            p: &ObjectPath,
            d: PutPayload,
            o: PutOptions,
        ) -> object_store::Result<PutResult> {
            self.inner.put_opts(p, d, o).await
        }

        async fn put_multipart_opts(
            &self,
            p: &ObjectPath,
            o: PutMultipartOptions,
        ) -> object_store::Result<Box<dyn MultipartUpload>> {
            let inner = self.inner.put_multipart_opts(p, o).await?;
            Ok(Box::new(FlakyUpload {
                inner,
                good_parts: self.good_parts,
                sent: AtomicUsize::new(0),
                aborted: self.aborted.clone(),
            }))
        }

        async fn get_opts(&self, p: &ObjectPath, o: GetOptions) -> object_store::Result<GetResult> {
            self.inner.get_opts(p, o).await
        }

        fn delete_stream(
            &self,
            locations: BoxStream<'static, object_store::Result<ObjectPath>>,
        ) -> BoxStream<'static, object_store::Result<ObjectPath>> {
            self.inner.delete_stream(locations)
        }

        fn list(&self, prefix: Option<&ObjectPath>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
            self.inner.list(prefix)
        }

        async fn list_with_delimiter(&self, prefix: Option<&ObjectPath>) -> object_store::Result<ListResult> {
            self.inner.list_with_delimiter(prefix).await
        }

        async fn copy_opts(
            &self,
            from: &ObjectPath,
            to: &ObjectPath,
            o: CopyOptions,
        ) -> object_store::Result<()> {
            self.inner.copy_opts(from, to, o).await
        }
    }

    fn vault(good_parts: usize) -> (Vault, Arc<AtomicBool>) {
        let aborted = Arc::new(AtomicBool::new(false));
        let store = Flaky { inner: InMemory::new(), good_parts, aborted: aborted.clone() };
        let vault =
            Vault { store: Arc::new(store), prefix: ObjectPath::from("cases"), location: "test".into() };
        (vault, aborted)
    }

    fn file(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[tokio::test]
    async fn a_file_of_several_parts_opens_to_what_went_in() {
        let (vault, aborted) = vault(usize::MAX);
        let identity = x25519::Identity::generate();
        let plain = file(3 * PART_BYTES + 12_345);
        let mut upload = vault.begin(&[identity.to_public()]).await.expect("begin");
        for piece in plain.chunks(100_000) {
            upload.write(piece).await.expect("write");
        }
        let key = upload.finish().await.expect("finish");
        let mut opened = Vec::new();
        let mut stream = Box::pin(vault.open_stream(&key, &identity).await.expect("open"));
        while let Some(chunk) = stream.next().await {
            opened.extend_from_slice(&chunk.expect("chunk"));
        }
        assert!(opened == plain, "{} bytes opened of {}", opened.len(), plain.len());
        assert!(!aborted.load(Ordering::SeqCst));
    }

    /// The answer to a failed write goes out only after the upload is gone (a full disk once
    /// answered first and removed the partial file afterwards, in the background).
    #[tokio::test]
    async fn a_failed_part_has_aborted_the_upload_when_write_returns() {
        let (vault, aborted) = vault(1);
        let identity = x25519::Identity::generate();
        let mut upload = vault.begin(&[identity.to_public()]).await.expect("begin");
        let mut failed = None;
        for piece in file(6 * PART_BYTES).chunks(1 << 20) {
            if let Err(e) = upload.write(piece).await {
                failed = Some(e);
                break;
            }
        }
        assert!(matches!(failed, Some(EvidenceError::Store(_))), "{failed:?}");
        assert!(aborted.load(Ordering::SeqCst), "aborted before write returned");
        assert!(vault.keys().await.expect("keys").is_empty());
    }

    #[tokio::test]
    async fn a_failed_last_part_has_aborted_the_upload_when_finish_returns() {
        let (vault, aborted) = vault(0);
        let identity = x25519::Identity::generate();
        let mut upload = vault.begin(&[identity.to_public()]).await.expect("begin");
        upload.write(&file(1000)).await.expect("a short file waits for finish");
        let finished = upload.finish().await;
        assert!(matches!(finished, Err(EvidenceError::Store(_))), "{finished:?}");
        assert!(aborted.load(Ordering::SeqCst), "aborted before finish returned");
        assert!(vault.keys().await.expect("keys").is_empty());
    }
}
