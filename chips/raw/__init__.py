"""The raw chip flow (rawChipByLocation, rawChipByParcelID, rawChipsBatch): plan (plan),
deliver from what the client holds or a job (deliver), cut one scene per unit (cut), answer
(answer)."""
