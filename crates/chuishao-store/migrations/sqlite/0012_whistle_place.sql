-- Whistles follow their place (issue 5), sqlite. Keep in step with the other engine's 0012_whistle_place.sql.
-- The org path where the whistle takes place: the grid (else community or subdistrict) its
-- point lies in, or the raiser's subdistrict when the point is outside every grid. The live
-- board of a subdistrict shows the whistles whose place lies under it.
alter table whistles add column place_path text not null default '';
update whistles set place_path = raised_by_path;
create index whistles_place on whistles(place_path, id);
