-- 0008: the small tensors of one snapshot share one row (docs/schema.md#weight_tensors). A row costs about 250 bytes
-- besides its data, which made models of many small tensors (BatchNorm, biases) 6–11% bigger on disk than their raw
-- bytes. A packed row has dtype 'packed', its members' data concatenated in `bytes`, and `members` listing each member's
-- name, ordinal, shape and dtype in that order. Rows written before stay as they are: readers take both.

ALTER TABLE weight_tensors
    ADD COLUMN members jsonb NULL,
    DROP CONSTRAINT weight_tensors_dtype_check,
    ADD CONSTRAINT weight_tensors_dtype_check CHECK (dtype IN ('float32', 'int64', 'packed')),
    ADD CONSTRAINT weight_tensors_packed_has_members CHECK ((dtype = 'packed') = (members IS NOT NULL));
