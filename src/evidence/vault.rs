//! Where sealed evidence is kept, through `object_store`: a directory under the data directory, or
//! an S3-compatible bucket (so several instances on one PostgreSQL share the files). Files go in
//! and out as streams of age ciphertext: memory holds one chunk at a time, whatever the size.
use super::EvidenceError;
use age::x25519;
use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Multipart chunks sent to the store (S3 parts must be at least 5 MiB, except the last).
const PART_BYTES: usize = 5 * 1024 * 1024;

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
        Ok(Upload {
            key,
            writer: Some(writer),
            buffer,
            upload: Some(WriteMultipart::new_with_chunk_size(upload, PART_BYTES)),
        })
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
/// Finish it, or abort it so that nothing is left behind.
pub struct Upload {
    pub key: String,
    writer: Option<age::stream::StreamWriter<Shared>>,
    buffer: Shared,
    upload: Option<WriteMultipart>,
}

impl Upload {
    pub async fn write(&mut self, plain: &[u8]) -> Result<(), EvidenceError> {
        let (Some(writer), Some(upload)) = (self.writer.as_mut(), self.upload.as_mut()) else {
            return Err(EvidenceError::Crypto);
        };
        writer.write_all(plain).map_err(|_| EvidenceError::Crypto)?;
        let sealed = self.buffer.take();
        if !sealed.is_empty() {
            upload.write(&sealed);
            // Bounds what is in flight: two parts at most.
            upload.wait_for_capacity(2).await.map_err(store_error)?;
        }
        Ok(())
    }

    /// Completes the age file and the upload; the key of the stored file.
    pub async fn finish(mut self) -> Result<String, EvidenceError> {
        let writer = self.writer.take().ok_or(EvidenceError::Crypto)?;
        let mut upload = self.upload.take().ok_or(EvidenceError::Crypto)?;
        if writer.finish().is_err() {
            let _ = upload.abort().await;
            return Err(EvidenceError::Crypto);
        }
        upload.write(&self.buffer.take());
        upload.finish().await.map_err(store_error)?;
        Ok(std::mem::take(&mut self.key))
    }

    /// Gives up: nothing of the file stays in the store.
    pub async fn abort(mut self) {
        self.writer.take();
        if let Some(upload) = self.upload.take()
            && let Err(e) = upload.abort().await
        {
            tracing::warn!(error = %e, "could not abort an evidence upload");
        }
    }
}
