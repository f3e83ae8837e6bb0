"""Delete a model from the local Hugging Face cache (Preferences > Model > Remove on a cache entry).

huggingface_hub's own cache strategy does the deleting, so blobs shared with nothing else go
with their snapshots and the repository folder disappears once no revision is left.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from penwright.models.catalog.listing import hf_hub_cache_dir
from penwright.models.errors import ModelLoadError


def delete_cached_model(repo_id: str, hub_cache: str | Path | None = None) -> int:
    """Delete every downloaded revision of the model ``repo_id``; return the bytes freed.

    Raises ModelLoadError (naming the cache folder) when it is not there or cannot be deleted.
    """
    from huggingface_hub import CacheNotFound, scan_cache_dir

    cache = Path(hub_cache) if hub_cache is not None else hf_hub_cache_dir()
    try:
        info = scan_cache_dir(cache)
    except (CacheNotFound, OSError) as err:
        raise ModelLoadError(f"cannot read the Hugging Face cache {cache}: {err}") from err
    repos = [repo for repo in info.repos if repo.repo_type == "model" and repo.repo_id == repo_id]
    revisions = [revision.commit_hash for repo in repos for revision in repo.revisions]
    if not revisions:
        raise ModelLoadError(f"{repo_id} is not in the Hugging Face cache {cache}")
    strategy = info.delete_revisions(*revisions)
    # delete_revisions matches each commit hash in whichever repository it meets first: when
    # another model has the same revision, it could delete that one instead. The repository's
    # folder holds only this model's files, so remove the folder itself then.
    folder = repos[0].repo_path.resolve()
    touched = [*strategy.repos, *strategy.snapshots, *strategy.blobs, *strategy.refs]
    if any(not Path(path).resolve().is_relative_to(folder) for path in touched):
        try:
            shutil.rmtree(folder)
        except OSError as err:
            raise ModelLoadError(f"cannot delete {repo_id} from {cache}: {err}") from err
        return sum(repo.size_on_disk for repo in repos)
    try:
        strategy.execute()
    except OSError as err:
        raise ModelLoadError(f"cannot delete {repo_id} from {cache}: {err}") from err
    # huggingface_hub only logs a path it could not delete: check that the model is gone.
    left = [r for r in strategy.snapshots if r.exists()]
    if left:
        raise ModelLoadError(f"cannot delete {repo_id} from {cache}: {left[0]} is still there")
    return strategy.expected_freed_size
