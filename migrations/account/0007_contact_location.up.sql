-- Where a contact's address is, as common's geocoder resolved it when the address was written:
-- its coordinates and country. All NULL when the geocoder did not know the address (or could
-- not be asked): such a contact is kept, unresolved. A resolved address in another country than
-- the account's is refused before it is stored, so resolved_country is the account's country
-- whenever it is set (as of the address's writing).
ALTER TABLE account.contact
    ADD COLUMN latitude         float8 CONSTRAINT contact_latitude_range
                                    CHECK (latitude BETWEEN -90 AND 90),
    ADD COLUMN longitude        float8 CONSTRAINT contact_longitude_range
                                    CHECK (longitude BETWEEN -180 AND 180),
    ADD COLUMN resolved_country text CONSTRAINT contact_resolved_country_valid
                                    CHECK (resolved_country ~ '^[A-Z]{2}$'),
    ADD CONSTRAINT contact_location_whole
        CHECK ((latitude IS NULL) = (longitude IS NULL)
               AND (latitude IS NULL) = (resolved_country IS NULL));
